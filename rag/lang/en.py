"""English: the words the rules read (folded: lower case, no accents, unless said otherwise) and what the user reads.

A language is one module of this package with these names; rag.lang finds it by itself.
"""


NAME = "English"
STOPWORDS = set("""
    the of and to in is was were be been are for on at by with from as that this these those it its an or not what
    which who whom whose when where why how did does do has have had will would can could about into than then there
""".split())
QUESTION_TYPE_WORDS = set("day year time place city country name way reason kind type according".split())
DONT_KNOW = (r"i\s+(do\s*n[o']t|don't|do not)\s+know|do(es)?\s*n[o']t\s+(contain|mention|say|specify|provide)"
             r"|do(es)?\s+not\s+(contain|mention|say|specify|provide)|no\s+information|not\s+(mentioned|specified|provided)")
NEGATION_PARTICLES: set[str] = set()
NEGATION_CUES = {"not": 4, "never": 4, "no": 3, "nothing": 4, "none": 3, "neither": 3, "nor": 3, "without": 3, "denied": 3,
                 "refused": 4, "declined": 4}
QUESTION_WORDS = {"who", "whom", "whose", "what", "which", "where", "when", "why", "how"}
QUESTION_WORDS_WITH_NOUN = {"which", "what", "how", "whose"}  # "which region", "how many"
AUXILIARIES = {"is", "are", "was", "were", "do", "does", "did", "has", "have", "had", "can", "could", "will", "would", "should",
               "may", "might", "must"}
INVERSION = None
ELISION = None
LEAD_IN = {"and", "but", "so", "then", "in", "on", "at", "for", "by", "from", "with", "to", "of", "during", "after", "before",
           "since", "according"}
AND = {"and"}
OR = "or"
LINKS = {"of"}
PHRASE_STOP = {"the", "a", "an", "this", "that", "his", "her", "their", "its", "he", "she", "they", "it"}
COMPARE = (r"\bagree|\bdisagree|\bdiffer\b|contradict|\bconsistent\b|\b(according\s+to|across)\s+the\s+(articles|reports|sources)\b"
           r"|(^|[,;:]\s*)do\s+the\s+(articles|reports|sources)\b")
COMPARE_STEMS = ("agree", "disagree", "differ", "contradict", "consistent", "article", "source", "report")
AGREEMENT_CLAIM = r"\bagree|\bconsistent\b"
YES_NO = {"yes": True, "no": False}
CITATION_LEAD = r"according\s+to|as\s+stated\s+in"
CITATION_ARTICLE = r"in\s+|the\s+"
CITATION_NOUN = r"passages?"
POINTER_WORDS = set("stated mentioned according this that see shown given found identified said".split())

ANSWER_IN = "Answer in English."
ABSTAIN_TEXT = "The articles do not answer this question."
YES_NO_WORD = {True: "Yes.", False: "No."}
EACH_ARTICLE = "What each article says:"
QUESTION_MARK = "?"
