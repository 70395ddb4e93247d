"""The pattern language (DESIGN 3.4): one test per matcher feature, plus the lexicon's precision."""

from __future__ import annotations

import pytest

from grader.rubric import lexicon
from grader.rubric.matcher import Hit, Matcher, search
from grader.rubric.patterns import PatternError, compile_pattern, compile_synonyms
from grader.rubric.text import american, tokenize


def hits(pattern: str, text: str, synonyms=None, lexicon_on: bool = True) -> list[Hit]:
    compiled = compile_pattern(pattern, compile_synonyms(synonyms or {}), use_lexicon=lexicon_on)
    return search(compiled, Matcher([compiled]).read(text))


def matches(pattern: str, text: str, **kw) -> bool:
    """True when the pattern matches somewhere, not under a negation."""
    return any(not h.negated for h in hits(pattern, text, **kw))


# ---------------------------------------------------------------- words


@pytest.mark.parametrize("pattern, text", [
    ("neuron", "all the Neurons die"),
    ("train", "during training"),
    ("generalize", "for better generalization"),  # both stem to 'general'
    ("dropout", "DROPOUT is used"),
])
def test_stemmed_and_case_folded_words_match(pattern, text):
    assert matches(pattern, text)


def test_unrelated_word_does_not_match():
    assert not matches("neuron", "the network is deep")


def test_five_letter_word_matches_with_one_typo_and_says_so():
    [hit] = hits("dropout", "we use droput here")
    assert hit.typo and hit.words == ("droput",)
    assert matches("dropout", "drpout")  # one deletion
    assert matches("layer", "the first layr")
    assert matches("symmetry", "the symmetyr is broken")  # a swap counts as one edit


def test_two_typos_do_not_match():
    assert not matches("dropout", "drpuot")
    assert not matches("momentum", "mometnun")


def test_a_one_letter_extension_is_another_word_not_a_typo():
    assert not matches("larger", "a large dilation")
    assert not matches("faster", "fast enough", lexicon_on=False)


@pytest.mark.parametrize("pattern, text", [("node", "nose"), ("node", "mode"), ("loss", "lose")])
def test_words_shorter_than_five_letters_get_no_typo_tolerance(pattern, text):
    assert not matches(pattern, text)


def test_exact_match_is_not_flagged_as_typo():
    [hit] = hits("dropout", "dropout")
    assert not hit.typo


def test_prefix():
    assert matches("regulari*", "regularization helps")
    assert matches("regulari*", "it regularises the net")  # British spelling normalized first
    assert not matches("regulari*", "a regular grid")


@pytest.mark.parametrize("text", ["pre-training helps", "pre training helps", "pretrained nets"])
def test_hyphenated_prefix_matches_every_spelling(text):
    assert matches("pre-train*", text)


@pytest.mark.parametrize(
    "text", ["over-fitting", "over fitting", "overfitting", "Over\u2011Fitting"]
)
@pytest.mark.parametrize("pattern", ["overfitting", "over-fitting"])
def test_hyphenation_variants_match_each_other(pattern, text):
    assert matches(pattern, f"it reduces {text}")


@pytest.mark.parametrize("text", ["feedforward", "feed-forward", "feed forward"])
def test_two_word_pattern_matches_the_compound(text):
    assert matches("feed forward", f"a {text} network")


def test_british_and_american_spellings_are_one():
    assert matches("generalization", "better generalisation")
    assert matches("normalize", "we normalise the input")
    assert american("noise") == "noise" and american("otherwise") == "otherwise"


# ---------------------------------------------------------------- structure


def test_alternatives_may_be_phrases():
    assert matches("(switch off|remove) unit", "we switch off units")
    assert matches("(switch off|remove) unit", "we remove units")
    assert not matches("(switch off|remove) unit", "we switch units", lexicon_on=False)


def test_synonym_key_stands_for_its_phrases():
    syn = {"overfitting": ["overtraining", "fits the training data too well"]}
    [hit] = hits("overfitting", "the model fits the training data too well", synonyms=syn)
    assert hit.words == ("fits", "the", "training", "data", "too", "well")
    assert matches("overfitting", "to reduce overtraining", synonyms=syn)
    assert matches("less overfitting", "less overtraining", synonyms=syn)
    assert not matches("overfitting", "the training data", synonyms=syn)


def test_words_match_in_order_with_at_most_three_between():
    assert matches("weight unit", "weight unit", lexicon_on=False)
    assert matches("weight unit", "weight of every hidden unit", lexicon_on=False)
    assert not matches("weight unit", "weight of every single hidden unit", lexicon_on=False)
    assert not matches("weight unit", "unit weight", lexicon_on=False)


def test_tilde_allows_any_order_in_the_same_sentence_only():
    assert matches("symmetr* ~ break*", "breaks the symmetry")
    assert matches("symmetr* ~ break*",
                   "symmetry between the many hidden neurons in one layer is what we break")
    assert not matches("symmetr* ~ break*", "Symmetry matters. It breaks things.")


def test_sequences_do_not_cross_sentences():
    assert not matches("weight unit", "the weight. unit", lexicon_on=False)


def test_abbreviations_and_decimals_do_not_end_a_sentence():
    sentences = {t.sentence for t in tokenize("Use e.g. a rate of 0.5 here")}
    assert sentences == {0}


def test_hit_records_the_exact_words_of_the_answer():
    [hit] = hits("random* (remove|switch off) ~ (unit|neuron)", "We randomly Switch off UNITS.")
    assert hit.words == ("randomly", "Switch", "off", "UNITS")


# ---------------------------------------------------------------- negation


@pytest.mark.parametrize("text", [
    "it is not used for overfitting",
    "dropout doesn't reduce overfitting",
    "this can't cause overfitting",
    "trained without overfitting",
    "never any overfitting",
])
def test_match_within_three_words_after_a_negation_is_negated(text):
    found = hits("overfitting", text)
    assert found and all(h.negated for h in found)


def test_negation_further_than_three_words_does_not_count():
    assert matches("overfitting", "it is not a method that fights overfitting")


def test_negation_in_another_sentence_does_not_count():
    assert matches("overfitting", "Not bad. Reduces overfitting.")


def test_not_only_is_no_negation():
    assert matches("overfitting", "it not only reduces overfitting")


def test_negation_inside_the_match_counts_unless_the_pattern_names_it():
    assert not matches("reduc* ~ overfitting", "overfitting is not reduced")
    assert matches("symmetr* ~ not break*", "the symmetry is not broken")


# ---------------------------------------------------------------- lexicon


@pytest.mark.parametrize("pattern, text", [
    ("reduc* oscillat*", "it mitigates the oscillations"),
    ("reduc* oscillat*", "it dampens oscillation"),
    ("speed up converg*", "it accelerates convergence"),
    ("speed up ~ training", "training becomes faster"),
    ("increas* ~ variance", "the variance grows"),
    ("prevent overfitting", "to avoid overfitting"),
    ("cause* explod*", "this leads to exploding outputs"),
    ("drop random* unit", "switch off random units"),
    ("break* symmetr*", "a broken symmetry"),
    ("speed up", "speeds up"),
])
def test_lexicon_accepts_paraphrases(pattern, text):
    assert matches(pattern, text)


# Sentences a careless lexicon would accept: ambiguous members must not act as heads.
FALSE_FRIENDS = [
    ("lower layers", "reduce the layers"),
    ("less data", "decrease data"),
    ("higher resolution", "increase the resolution"),
    ("fast", "converge"),
    ("same", "symmetric weights"),
    ("speed", "faster"),
    ("random", "arbitrary"),
]


@pytest.mark.parametrize("pattern, text", FALSE_FRIENDS)
def test_lexicon_members_are_not_heads(pattern, text):
    assert not matches(pattern, text)


def test_lexicon_false_positive_rate_on_unrelated_sentences():
    patterns = ["reduc* overfitting", "increas* (variance|output*)", "speed up training",
                "prevent* (dead|dying) neuron*", "drop random* unit*"]
    unrelated = [
        "The weights are initialized from a normal distribution.",
        "A convolution slides a kernel over the image.",
        "Pooling makes the output smaller.",
        "Lower layers detect edges and higher layers detect objects.",
        "The loss is computed on the training set.",
        "We use more units in the first layer.",
        "Residual networks add the input to the output.",
        "Faster computers make training feasible.",
        "The units of the output are probabilities.",
        "Random search finds good hyperparameters.",
    ]
    false_hits = [(p, s) for p in patterns for s in unrelated if matches(p, s)]
    # The one known false positive (1 of 50): "faster" as a paraphrase of "speed up", with the
    # allowed gap. It stays visible here; a rubric that cares adds a deny pattern.
    assert false_hits == [("speed up training", "Faster computers make training feasible.")]


def test_lexicon_prefix_names_a_head_only_when_close():
    assert "decrease" in lexicon.alternatives("reduc", prefix=True)
    assert lexicon.alternatives("re", prefix=True) == ()


# ---------------------------------------------------------------- negation scope


# A purpose clause states the concept; a true negation keeps cancelling it.
PURPOSE_TABLE = [
    ("explod*", "Scale the weights so that the activations do not explode.", True),
    ("explod*", "The weights are scaled so the outputs don't explode.", True),
    ("overfit*", "We stop early in order not to overfit.", True),
    ("overfit*", "Add noise so as not to overfit the data.", True),
    ("overfit*", "Regularize the model to not overfit.", True),
    ("explod*", "such that the activations never explode", True),
    ("overfitting", "Dropout is used to avoid overfitting.", True),
    ("vanish*", "It prevents the gradients from vanishing.", True),
    ("overfitting", "It does not prevent overfitting.", False),
    ("regulari*", "It is not used for regularization.", False),
    ("explod*", "The activations do not explode.", False),
    ("explod*", "It is scaled so that it is big, but it does not explode.", False),
    ("dropout", "The net is small, so we do not use dropout.", False),
]


@pytest.mark.parametrize("pattern, text, counted", PURPOSE_TABLE)
def test_purpose_clause_is_not_a_denial(pattern, text, counted):
    assert matches(pattern, text) is counted


def test_purpose_reading_is_recorded_on_the_hit():
    (hit,) = hits("explod*", "so that they don't explode")
    assert hit.purpose and not hit.negated and hit.by == "don't"
    (hit,) = hits("explod*", "they don't explode")
    assert hit.negated and not hit.purpose and hit.by == "don't"


def test_negation_scope_is_the_words_after_it_not_the_whole_match():
    text = "Options which are not needed all the time go between the fixed header and the payload."
    assert matches("between ~ fixed ~ payload", text)
    assert not matches("dropout ~ regulari*", "Dropout is not a regularizer.")
    assert not matches("regulari* ~ dropout", "Regularization does not need dropout.")


# ---------------------------------------------------------------- lexicon: change, cause, compare


@pytest.mark.parametrize("pattern, text", [
    ("halve* ~ window", "the window is divided by two"),
    ("depend* ~ previous", "arrivals are influenced by previous arrivals"),
    ("depend* ~ previous", "each arrival is correlated with the previous one"),
    ("keep* ~ variance", "the variance stays the same"),
    ("double* ~ window", "the window grows to twice its size"),
    ("need* ~ duplex", "a duplex line is necessary"),
    ("add* ~ option*", "options can be appended"),
    ("change* ~ header", "by modifying the header"),
    ("large ~ learning rate", "a huge learning rate"),
    ("different ~ layer*", "the layers differ"),
    ("slow down ~ training", "training converges more slowly"),
])
def test_lexicon_knows_verbs_of_change_cause_and_comparison(pattern, text):
    assert matches(pattern, text)


@pytest.mark.parametrize("pattern, text", [
    ("colour", "color"), ("behavior", "behaviour"), ("neighbouring", "neighboring pixels"),
    ("center", "the centre pixel"), ("meters", "30 metres"), ("defense", "a defence"),
    ("labeled", "labelled data"), ("favorite", "my favourite"), ("analog", "analogue signal"),
    ("non-linear", "nonlinear"), ("nonlinear", "non linear"), ("pre-process*", "preprocessing"),
])
def test_british_american_and_hyphenation(pattern, text):
    assert matches(pattern, text)


@pytest.mark.parametrize("pattern, text", [
    ("high", "a large value"), ("better", "improve it"), ("let", "allow it"),
    ("low", "a small value"), ("additional", "more"), ("include", "add it"), ("four", "for"),
    ("hour", "hor"),
])
def test_new_lexicon_members_do_not_act_as_heads(pattern, text):
    assert not matches(pattern, text)


def test_new_lexicon_groups_false_positive_rate_on_unrelated_sentences():
    patterns = ["depend* ~ previous", "halve* ~ window", "keep* ~ variance", "double* ~ kernel",
                "need* ~ label*", "change* ~ header", "different ~ layer*"]
    unrelated = [
        "The weights are initialized from a normal distribution.",
        "A convolution slides a kernel over the image.",
        "Pooling makes the output smaller.",
        "Lower layers detect edges and higher layers detect objects.",
        "The loss is computed on the training set.",
        "The header holds the source and destination addresses.",
        "Two kernels of size three are applied.",
        "The previous exercise used a window of size five.",
        "Labels are given for every image.",
        "Variance is the square of the standard deviation.",
    ]
    assert [(p, s) for p in patterns for s in unrelated if matches(p, s)] == []


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize("pattern", ["", "   ", "(a|b", "a)", "a | b", "a ~ ~ b", "()", "a?b", "*"])
def test_malformed_patterns_are_rejected(pattern):
    with pytest.raises(PatternError):
        compile_pattern(pattern)
