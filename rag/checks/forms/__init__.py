"""What a question's form adds to the checks of its sentences: a yes/no answer's polarity, checked against the
sentence that decides it; the sentence of each article, for a question about what the articles say."""
