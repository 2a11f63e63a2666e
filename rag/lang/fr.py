"""French: the words the rules read (folded: lower case, no accents, unless said otherwise) and what the user reads.

A language is one module of this package with these names; rag.lang finds it by itself.
"""

import re

NAME = "français"
# The commonest function words, folded.
STOPWORDS = set("""
    a au aux avec ce ces cette dans de des du elle en et eux il ils je la le les leur lui ma mais me meme mes moi mon
    ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi ton tu un une vos votre vous c d j
    l m n s t y est sont ete etre avait avoir ont a-t-il quel quelle quels quelles quoi comment combien pourquoi ou
    lors apres avant selon entre plus tres aussi dont cela ceci quand lorsque puis
""".split())
# Words of a question that name the kind of answer, not its subject: the passage that answers holds "mardi", not "jour".
QUESTION_TYPE_WORDS = set("jour date annee heure moment journee lieu endroit ville pays nom appelle moyen facon maniere raison "
                          "raisons source sources selon article articles".split())
# What the model writes when the passages do not answer (a regular expression, read at the start of an answer).
DONT_KNOW = (r"je\s+ne\s+sais\s+pas|ne\s+(contiennent|permettent|mentionnent|précisent|donnent)\s+pas"
             r"|aucune\s+information|pas\s+d'information")
# Negation: "ne"/"n'" reach up to one of these particles and beyond; each cue reaches that many words after it.
NEGATION_PARTICLES = {"pas", "plus", "jamais", "rien", "ni", "aucun", "aucune", "guère", "point"}
NEGATION_CUES = {"sans": 3, "non": 2, "rien": 5, "aucun": 3, "aucune": 3, "ni": 3, "refuse": 4, "refusant": 4, "refusé": 4,
                 "nié": 3, "nie": 3, "nient": 3, "démenti": 3}
# The shape of a question (lower case, accents kept).
QUESTION_WORDS = {"qui", "que", "qu", "quoi", "quel", "quelle", "quels", "quelles", "lequel", "laquelle", "lesquels", "lesquelles",
                  "où", "quand", "comment", "combien", "pourquoi"}
QUESTION_WORDS_WITH_NOUN = {"quel", "quelle", "quels", "quelles", "combien"}  # "quel jour", "combien de missiles"
AUXILIARIES: set[str] = set()  # a yes/no question is told by inversion instead
INVERSION = re.compile(r"^[\w’'-]+-(t-)?(il|elle|ils|elles|on)$|^est-ce$", re.IGNORECASE)  # "a-t-il", "est-ce que"
ELISION = re.compile(r"^(qu)['’].*")  # "qu'a-t-il" asks "what"
LEAD_IN = {"et", "mais", "alors", "donc", "à", "a", "de", "d", "des", "du", "dans", "pour", "par", "sur", "avec", "depuis", "selon",
           "en", "sous", "outre", "chez", "vers", "auprès", "contre", "jusqu", "pendant", "durant", "après", "avant", "parmi", "entre"}
AND = {"et"}
OR = "ou"
LINKS = {"de", "d", "du", "des"}
PHRASE_STOP = {"le", "la", "les", "l", "un", "une", "des", "ce", "cet", "cette", "ces", "son", "sa", "ses", "leur", "leurs", "il",
               "elle", "ils", "elles", "on", "y", "en", "se", "s", "ne", "n"}
# A question about what the articles say against each other, and an answer sentence that judges their agreement.
COMPARE = (r"s['’]accord|concord|diverg|contredi|\b(selon|d['’]après)\s+les\s+(articles|dépêches|sources)\b"
           r"|(^|[,;:]\s*)les\s+(articles|dépêches|sources)\b[^?,]*-(ils|elles)\b")
COMPARE_STEMS = ("accord", "concord", "diverg", "contredi", "article", "depeche", "source", "ils", "elles")
AGREEMENT_CLAIM = r"s['’]accord|concord|\bcoincid"
# The answer's yes/no word and a citation written out in words ("selon le passage 2").
YES_NO = {"oui": True, "si": True, "non": False}
CITATION_LEAD = r"selon|d['’]après|comme\s+l['’]indique"
CITATION_ARTICLE = r"dans\s+le\s+|le\s+|l['’]"
CITATION_NOUN = r"passages?|extraits?"
POINTER_WORDS = set("cest passage passages source sources extrait selon voir indique indiquee mentionne".split())

# What the user and the model read.
ANSWER_IN = "Réponds en français."
ABSTAIN_TEXT = "Les articles ne permettent pas de répondre à cette question."
YES_NO_WORD = {True: "Oui.", False: "Non."}
EACH_ARTICLE = "Ce que dit chaque article :"
QUESTION_MARK = " ?"
