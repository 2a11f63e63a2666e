"""What the user reads from the answer stage: in each language of the questions (from rag.lang), and the
interface's own English."""

from rag.lang import by_language
from rag.types import AbstainCode

ABSTAIN_TEXT = by_language("ABSTAIN_TEXT")
# Shown over an answer of which no sentence is found in the passages (it is shown all the same); the interface
# speaks English, as its other warnings do.
NOT_FOUND_WARNING = "The articles do not seem to state this; check before use."
# Said with an answer whose sentences are all found, when the model hesitated over what it adds to the question.
UNSURE_WARNING = "the model hesitated over what this answer adds to the question: check it against the cited passage"
# Said with an answer whose sentences are all found, when the passage sentences that state them speak of little of the
# question: true sentences about something else.
OFF_QUESTION_WARNING = "the passages this answer cites speak of little of the question: check that it answers it"
# Said with an open answer whose found sentences only restate the question.
RESTATED_WARNING = "this answer only restates the question: the articles may not say what it asks"
# Plain words for each reason to abstain: the user reads these, the evaluation counts the codes.
REASONS = {
    AbstainCode.OFF_TOPIC: "no passage is close to the question",
    AbstainCode.DECLINED: "the model found no answer in the passages",
    AbstainCode.UNVERIFIED: "a sentence of the answer is not found in the passages (answer.unverified = abstain)",
}
