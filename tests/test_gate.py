"""rules/gate.yml: every rule's examples are excluded by it and its counter-examples are not, on
the claims the real extractor makes; the gate's column in the built database."""
from __future__ import annotations

import pytest

import claims
from claims.gate import get_gate, load_gate
from claims.errors import RuleError

GATE = get_gate()


def _claim(sentence: str, mention: str):
    found = [c for c in claims.extract(sentence) if c.mention == mention]
    assert found, f"the extractor makes no claim {mention!r} from {sentence!r}: fix the example"
    return found[0]


def _matches(rule, claim) -> bool:
    start = claim.span_start
    s = claim.sentence
    return rule.matches(claim.kind, claim.metric, claim.unit, claim.system, claim.mention,
                        s[max(0, start - 200):start], s[claim.span_end:claim.span_end + 200], s)


CASES = [(r.id, ex, True) for r in GATE.rules for ex in r.examples] + \
        [(r.id, ex, False) for r in GATE.rules for ex in r.counter_examples]


@pytest.mark.parametrize("rule_id,example,excluded", CASES,
                         ids=[f"{r}:{'ex' if e else 'counter'}:{x['mention']}" for r, x, e in CASES])
def test_gate_rule_examples(rule_id, example, excluded):
    rule = GATE.matching_rule(rule_id)
    claim = _claim(example["sentence"], example["mention"])   # one sentence: span == sentence offset
    assert _matches(rule, claim) is excluded, (rule_id, example, claim)
    if excluded:   # and the whole gate keeps it off the boards (maybe by an earlier rule)
        assert GATE.excluded_by(claim.kind, claim.metric, claim.unit, claim.system, claim.mention,
                                claim.sentence, claim.span_start, claim.span_end) is not None


def test_the_questions_rows_pass_the_gate():
    for sentence, mention in [
        ("MegaScale achieves 55.2% Model FLOPs Utilization (MFU) when training a 175B LLM model on "
         "12,288 GPUs, improving the MFU by 1.34x compared to Megatron-LM.", "55.2%"),
        ("With practical workloads, NanoFlow provides 1.91x throughput boost compared to "
         "state-of-the-art serving systems.", "1.91x"),
    ]:
        c = _claim(sentence, mention)
        assert GATE.excluded_by(c.kind, c.metric, c.unit, c.system, c.mention, c.sentence,
                                c.span_start, c.span_end) is None, c


def test_every_rule_is_documented_and_tested():
    assert len(GATE.rules) >= 8
    for rule in GATE.rules:
        assert rule.examples and rule.counter_examples is not None, rule.id
    assert [f.min_value for f in GATE.flags] == [1000.0]


def test_a_broken_gate_file_is_one_clear_line(tmp_path):
    bad = tmp_path / "gate.yml"
    bad.write_text("exclude:\n  - id: g.x\n    comment: c\n    before: '(unclosed'\n    examples: [{}]\n    counter_examples: []\n")
    with pytest.raises(RuleError, match=r"gate\.yml: rule g\.x: before is not a valid regex"):
        load_gate(bad)
    bad.write_text("exclude:\n  - id: g.x\n    comment: c\n    colour: red\n    examples: [{}]\n    counter_examples: []\n")
    with pytest.raises(RuleError, match=r"unknown keys \['colour'\]"):
        load_gate(bad)
    bad.write_text("exclude: [\n")
    with pytest.raises(RuleError, match=r"gate\.yml line \d+: not valid YAML"):
        load_gate(bad)
