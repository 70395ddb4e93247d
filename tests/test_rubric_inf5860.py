"""The 2019 rubric: model answers score full, wrong answers less, student paraphrases as an
examiner would score them (expected points written before tuning the rubric)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from grader.model import PartVariant
from grader.rubric.engine import score_part
from grader.rubric.loader import load_rubric
from tests import contract

RUBRIC = load_rubric(Path(__file__).resolve().parents[1] / "rubrics" / "inf5860_2019.yaml")

# docs/contracts.md
GRAPH = contract.GRAPH
ARROWS = contract.ARROWS
NUMBERS = {"ex3a": "13", "ex3b": "23", "ex3c": "350"}
# The original's common mistakes by hand (kernels 3, 5, 7; strides 2, 1, 1 in 3b; 3 channels,
# 2 filters, no biases in 3c): what cnn.field_of_view / cnn.params must freeze in its variant.
ORIGINAL_MISTAKES = {
    "ex3a": {"kernel-sum": "15", "off-by-one": "12"},  # 3+5+7; 2+4+6 (3a has no stride)
    "ex3b": {"stride-forgotten": "13", "kernel-sum": "27",  # 3 + 2*5 + 2*7
             "own-stride": "25", "off-by-one": "22"},  # 1 + 2*2 + 2*4 + 2*6
    "ex3c": {"channels-everywhere": "498", "biases-counted": "356"},  # 3*2*(9+25+49); +2*3
}
TEXT_PARTS = sorted(p for p, r in RUBRIC.parts.items() if r.kind == "text")


def grade(part: str, raw):
    pr = RUBRIC.parts[part]
    answer = ARROWS if pr.kind == "arrows" else NUMBERS.get(part)
    params = GRAPH if pr.kind == "arrows" else {}
    pv = PartVariant(part, pr.kind, pr.points, "", params, answer, "",
                     mistakes=ORIGINAL_MISTAKES.get(part, {}))
    return score_part(RUBRIC, pr, pv, raw, student="s")


def test_text_parts_are_the_contracts_discussion_parts():
    assert TEXT_PARTS == ["ex2a", "ex2b", "ex2c", "ex2d", "ex2e", "ex2f", "ex3d", "ex3e", "ex4a",
                          "ex4b", "ex5a", "ex5b", "ex6a", "ex6b", "ex7a", "ex7b", "ex7c"]


@pytest.mark.parametrize("part", TEXT_PARTS)
def test_model_answer_scores_full_marks(part):
    result = grade(part, RUBRIC.parts[part].model_answer)
    assert result.score == result.max, [(c.id, c.feedback) for c in result.criteria]
    assert "borderline" not in result.flags


@pytest.mark.parametrize("part", TEXT_PARTS)
def test_an_off_topic_answer_scores_nothing(part):
    assert grade(part, "I did not have time to read this question, sorry.").score == 0


def test_exact_numbers_score_full():
    for part, value in NUMBERS.items():
        assert grade(part, value).score == RUBRIC.parts[part].points
    assert grade("ex3b", "1 + (3-1) + 2*(5-1) + 2*(7-1)").score == 1
    assert grade("ex3c", "3*3*3*2 + 2*5*5*2 + 2*7*7*2").score == 2


def test_arrows_exact_answers_score_full():
    assert grade("ex1a", ARROWS).score == Fraction(9, 2)
    assert grade("ex1a", {**ARROWS, "a2": "-10,5", "a4": "-3,5"}).score == Fraction(9, 2)


@pytest.mark.parametrize("part, raw, points, feedback", [
    ("ex3a", "15", 0, "k - 1"),
    ("ex3b", "13", 0, "The stride of the first layer multiplies the later kernels' contribution."),
    ("ex3b", "25", 0, "own stride"),
    ("ex3c", "498", 1, "as many channels as the layer before has filters"),
    ("ex3c", "3*3*3*2+3*5*5*2+3*7*7*2", 1, "as many channels as the layer before has filters"),
    ("ex3c", "356", 1, "The question excludes biases: 350 weights without the 6 biases."),
    ("ex3a", "12", 0, "starts from 1 pixel"),
    ("ex3c", "100", 0, "expected 350"),
])
def test_common_mistakes(part, raw, points, feedback):
    result = grade(part, raw)
    assert result.score == points and feedback in result.criteria[0].feedback


# (part, student answer, points an examiner gives)
PARAPHRASES = [
    ("ex2a", "No, because then all neurons in a layer get the same gradient and update "
             "identically, so they never learn different features.", 1),
    ("ex2a", "This is not valid. The symmetry is not broken, so every hidden unit computes "
             "the same thing.", 1),
    ("ex2a", "Not a good idea: the network behaves as if it only had one single neuron per "
             "layer.", 1),
    ("ex2a", "All weights the same is fine", 0),
    ("ex2a", "Yes it is fine since the number is random.", 0),
    ("ex2a", "It is not valid.", 0),
    ("ex2b", "Yes, ReLU units can die: if the input is always negative the gradient is zero "
             "and the neuron never updates again.", 1),
    ("ex2b", "The gradient is zero for negative input, so dead neurons can occur.", 1),
    ("ex2b", "For x<0 the output is 0 and no gradient flows back, the unit stops learning.", 1),
    ("ex2b", "ReLU is not differentiable at 0.", Fraction(1, 2)),
    ("ex2b", "ReLU has no shortcomings, it is the best activation function.", 0),
    ("ex2b", "It is fast to compute.", 0),
    ("ex2c", "During training we randomly switch off neurons, which prevents overfitting.", 2),
    ("ex2c", "Dropout sets the output of random hidden units to zero with probability p in each "
             "iteration. This acts as regularisation.", 2),
    ("ex2c", "Randomly ignore some nodes while training so the network can't rely on single "
             "nodes.", 2),
    ("ex2c", "it is not used for overfitting", 0),
    ("ex2c", "Dropout removes units.", 0),
    ("ex2d", "Compute (J(θ+ε) − J(θ−ε))/(2ε) for a small ε and compare with the gradient from "
             "backprop; they should be almost equal.", 2),
    ("ex2d", "Numerically approximate the derivative with a centered difference and check that "
             "the relative error to the analytic gradient is below 1e-7.", 2),
    ("ex2d", "Use finite differences to check the gradient.", 1),
    ("ex2d", "We check that the gradient is correct.", 0),
    ("ex2e", "We keep a running average of the gradients (the velocity) and update the weights "
             "with it instead of the raw gradient. This damps oscillations.", 2),
    ("ex2e", "v = mu*v - lr*grad, x = x + v", 2),
    ("ex2e", "Momentum adds a fraction of the previous update to the current one, so the "
             "optimizer escapes local minima and plateaus.", 2),
    ("ex2e", "It uses momentum to go faster.", 0),
    ("ex2f", "The output of a neuron is a sum over all its inputs, so with more inputs the "
             "variance of the output grows. To keep the variance the same in every layer the "
             "weights are scaled by 1/sqrt(n) (Xavier/He).", 2),
    ("ex2f", "If a layer has many inputs, the sum becomes large and the activations saturate "
             "or explode.", 2),
    ("ex2f", "The variance of the output grows with the number of inputs.", 1),
    ("ex2f", "Because of Xavier initialization.", 0),
    ("ex3d", "Increase the dilation factor exponentially with depth, e.g. 1, 2, 4, 8.", 1),
    ("ex3d", "Use dilation 1 in the first layer, 2 in the second, 4 in the third and so on.", 1),
    ("ex3d", "Larger dilation in deeper layers.", 1),
    ("ex3d", "Use dilated convolutions with a large dilation in all layers.", 0),
    ("ex3e", "Words can appear anywhere in the audio signal, and a CNN detects a pattern "
             "regardless of where it occurs (translation invariance). It also needs far fewer "
             "weights because the filters are shared.", 2),
    ("ex3e", "Convolutions share weights over time, so the same sound can be recognised at "
             "different positions.", 2),
    ("ex3e", "The CNN has fewer parameters.", 1),
    ("ex3e", "Because CNNs are better for images.", 0),
    ("ex4a", "A ResNet has skip connections that add the input of a block to its output, so the "
             "block only has to learn the residual.", 2),
    ("ex4a", "In a residual network the input x is added to the output F(x), which makes it "
             "easier to train very deep networks since the gradient flows through the identity "
             "path.", 2),
    ("ex4a", "They use shortcut connections.", 1),
    ("ex4a", "Residual nets are deeper.", 0),
    ("ex4b", "Transfer learning from ImageNet and data augmentation.", 2),
    ("ex4b", "Data augmentation, dropout", 1),
    ("ex4b", "Use a pretrained network and fine-tune it. Also multitask learning.", 2),
    ("ex4b", "Train longer with a bigger learning rate.", 0),
    ("ex5a", "You cover parts of the image with a grey square and look at how much the "
             "probability of the class drops. The regions where it drops a lot are important.",
     2),
    ("ex5a", "Slide a black patch over the input image and record the classifier's output score "
             "for each position; this gives a heat map of what is important for the class.", 2),
    ("ex5a", "Occlusion experiments hide parts of the image.", 1),
    ("ex5a", "We look at what the network sees.", 0),
    ("ex5b", "The network learns features that correlate with the label, not only the object "
             "itself. E.g. boats are almost always on water and planes in the sky.", 2),
    ("ex5b", "Because the context often appears together with the object in the training "
             "images, like cows on grass.", 2),
    ("ex5b", "The background is associated with the class in the training data.", 1),
    ("ex5b", "Because the network is not perfect.", 0),
    ("ex5b", "Roads and street signs often appear together with cars, so the network uses them "
             "as context.", 2),
    ("ex5b", "The car class also gives a high output for the road.", 0),
    ("ex6a", "Compute the gradient of the score of a wrong class with respect to the input "
             "image and change the pixels slightly in that direction. The image looks "
             "unchanged to humans but the network is confident it is the other class.", 2),
    ("ex6a", "Make adversarial examples: add a small perturbation that maximizes the loss "
             "(fast gradient sign method).", 2),
    ("ex6a", "Start from random noise and do gradient ascent on the class score until the net "
             "is 99% sure; humans just see noise.", 2),
    ("ex6a", "Train a GAN.", 0),
    ("ex6b", "The positions of the points in the low-dimensional map (y_i).", 1),
    ("ex6b", "We differentiate with respect to y, the coordinates in the embedding.", 1),
    ("ex6b", "With respect to the weights of the network.", 0),
    ("ex6b", "The input data x.", 0),
    ("ex7a", "Deep learning works well on images, audio and text, where low-level features can "
             "be combined hierarchically into higher-level ones. For tabular data with a few "
             "hand-crafted features, like customer records, random forests may be better.", 2),
    ("ex7a", "Good: raw pixel data. Bad: customer data with features like age and income; there "
             "is no spatial structure to exploit.", 2),
    ("ex7a", "Images work well, small datasets do not.", 1),
    ("ex7a", "Deep learning always works best.", 0),
    ("ex7b", "Q(s,a) is the expected future reward when taking action a in state s. We use "
             "r + gamma * max Q(s',a') as the target, so we only need the next step.", 2),
    ("ex7b", "The Q-network estimates the total discounted return for each action. Because of "
             "the Bellman equation, the next state's estimate can be used as ground truth.", 2),
    ("ex7b", "It outputs the best action.", 0),
    ("ex7c", "Cropping is not differentiable, so we can't backpropagate through the choice of "
             "region. RL samples crops and learns from a reward.", 2),
    ("ex7c", "Because the selection is a discrete choice with no gradient, and reinforcement "
             "learning explores different regions.", 2),
    ("ex7c", "Because reinforcement learning is better.", 0),
]


@pytest.mark.parametrize("part, text, points", PARAPHRASES)
def test_student_paraphrases_score_as_an_examiner_would(part, text, points):
    result = grade(part, text)
    assert result.score == points, [(c.id, c.met, c.matched, c.feedback) for c in result.criteria]


def test_every_discussion_part_has_three_paraphrases():
    counts = {p: sum(1 for q, _, _ in PARAPHRASES if q == p) for p in TEXT_PARTS}
    assert min(counts.values()) >= 3, counts


def test_lost_points_explain_themselves():
    result = grade("ex2c", "Dropout removes units.")
    assert all(c.feedback for c in result.criteria if not c.met)


@pytest.mark.parametrize("text, low, high", [
    # examples/submissions/s100004.yaml: a purpose clause, not a denial (a person gives 1-2)
    ("So that the activations do not explode or vanish when there are many inputs.", 1, 2),
    ("Scale by 1/sqrt(n) in order not to let the outputs explode.", 1, 2),
    ("The outputs do not explode, so it does not matter.", 0, 0),
])
def test_ex2f_purpose_clauses_state_the_concept(text, low, high):
    result = grade("ex2f", text)
    assert low <= result.score <= high, [(c.id, c.feedback) for c in result.criteria]
