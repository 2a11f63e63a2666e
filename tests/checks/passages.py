"""Passages from the seed articles, and a helper to show them to the checks as the model saw them."""

from rag.types import Chunk, Passage

GIFTS = ("« M.Poutine a offert à Kim un gant provenant d’une combinaison spatiale, qui a voyagé plusieurs fois dans l’espace. "
         "Il a aussi offert à Kim une carabine de production russe de la plus haute qualité. En retour, il a également reçu "
         "une carabine fabriquée en Corée du Nord », a indiqué à la presse Dmitri Peskov, porte-parole du Kremlin.")
SUMMIT = ("M. Kim devrait le retrouver dans les prochains jours quelque part dans l'Extrême-Orient russe. "
          "Moscou n'a précisé ni la date ni le lieu de la rencontre.")
MEETING = ("Vladimir Poutine et Kim Jong Un se sont retrouvés mercredi au cosmodrome russe de Vostotchny, dans l'Est de la "
           "Russie, le président russe parlant d'aider la Corée du Nord à construire des satellites.")
ARMY = ("L’armée sud-coréenne a évalué le train entré en Russie mardi matin, a déclaré Jeon Ha Gyu, porte-parole du ministère "
        "sud-coréen de la Défense, lors d’un point de presse, sans préciser comment l’armée a obtenu l’information.")
DEPART_000 = "Parti dimanche soir de Pyongyang à bord d'un train blindé, Kim Jong Un effectue son premier voyage à l'étranger."
DEPART_001 = "L’agence a déclaré que Kim était monté à bord de son train personnel dimanche après-midi."
TRIP_003 = "Au moins 20 heures sont nécessaires pour relier Pyongyang et Vladivostok, un trajet de 1.200 kilomètres."
TRIP_001 = "La première rencontre a eu lieu en 2019 dans la ville située à environ 680 kilomètres au nord de Pyongyang."


def passages(*texts: str, articles: tuple[str, ...] = ()) -> list[Passage]:
    out = []
    for i, text in enumerate(texts):
        article = articles[i] if articles else f"a{i}"
        out.append(Passage(Chunk(id=f"{article}:{i}", article_id=article, n=i, text=text, start=100, end=100 + len(text)), 1.0, i + 1))
    return out
