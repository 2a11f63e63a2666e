"""What the user reads from the answer stage, in each language."""

ABSTAIN_TEXT = {
    "fr": "Les articles ne permettent pas de répondre à cette question.",
    "en": "The articles do not answer this question.",
}
