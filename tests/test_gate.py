"""rules/gate.yml: every rule's examples are excluded by it and its counter-examples are not, on
the claims the real extractor makes; the gate's column in the built database."""
from __future__ import annotations

import pytest

from claims.extract import extract_abstract
from claims.gate import get_gate, load_gate
from claims.errors import RuleError

GATE = get_gate()


def _claim(text: str, mention: str, title: str | None = None):
    """The claim the extractor makes for `mention` in `text` (an abstract), with its mention's
    offsets inside its own sentence."""
    result = extract_abstract(text, title=title)
    found = [c for c in result.claims if c.mention == mention]
    assert found, f"the extractor makes no claim {mention!r} from {text!r}: fix the example"
    c = found[0]
    start = next(s.start for s in result.sentences if s.sentence_index == c.sentence_index)
    return c, c.span_start - start, c.span_end - start


def _matches(rule, claim, start, end) -> bool:
    s = claim.sentence
    return rule.matches(claim.kind, claim.metric, claim.unit, claim.system, claim.mention,
                        s[max(0, start - 200):start], s[end:end + 200], s, claim.baseline)


CASES = [(r.id, ex, True) for r in GATE.rules for ex in r.examples] + \
        [(r.id, ex, False) for r in GATE.rules for ex in r.counter_examples]


@pytest.mark.parametrize("rule_id,example,excluded", CASES,
                         ids=[f"{r}:{'ex' if e else 'counter'}:{x['mention']}" for r, x, e in CASES])
def test_gate_rule_examples(rule_id, example, excluded):
    rule = GATE.matching_rule(rule_id)
    claim, start, end = _claim(example["sentence"], example["mention"], example.get("title"))
    assert _matches(rule, claim, start, end) is excluded, (rule_id, example, claim)
    if excluded:   # and the whole gate keeps it off the boards (maybe by an earlier rule)
        assert GATE.excluded_by(claim.kind, claim.metric, claim.unit, claim.system, claim.mention,
                                claim.sentence, start, end, claim.baseline) is not None


def test_the_questions_rows_pass_the_gate():
    for sentence, mention in [
        ("MegaScale achieves 55.2% Model FLOPs Utilization (MFU) when training a 175B LLM model on "
         "12,288 GPUs, improving the MFU by 1.34x compared to Megatron-LM.", "55.2%"),
        ("With practical workloads, NanoFlow provides 1.91x throughput boost compared to "
         "state-of-the-art serving systems.", "1.91x"),
    ]:
        c, start, end = _claim(sentence, mention)
        assert GATE.excluded_by(c.kind, c.metric, c.unit, c.system, c.mention, c.sentence, start, end,
                                c.baseline) is None, c


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
