"""Automatic QA: a scorecard per finished call, one line per rule, each with its evidence.

- `rules`: the rules as pure functions (facts and transcript in, verdict and evidence out);
- `scoring`: reading a call's facts, storing its scorecard, supervisors' reviews, transcripts;
- `glossary`: the D4 terms and their plain words;
- `averages`: QA over a period, per agent, level and rule;
- `spanish`: the normal form of spoken Spanish and the phrases each act is recognised by;
- `transcript_files`: WebVTT, SRT and speech-to-text JSON files into transcript turns.

Callers import this package (`from soporte.calls import qa`); the names below are its public
surface.
"""

from soporte.calls.qa.averages import Averages, GroupAverage, RuleRate, averages
from soporte.calls.qa.glossary import (
    DEFAULT_GLOSSARY,
    add_term,
    delete_term,
    ensure_default_glossary,
    update_term,
)
from soporte.calls.qa.rules import (
    HUMAN_RULES,
    RULE_NAMES,
    RULE_ORDER,
    CallFacts,
    Transcript,
    Turn,
    at_ms,
    contains,
    evaluate,
    fold,
    rule_name,
)
from soporte.calls.qa.scoring import (
    REVIEW_VERDICTS,
    TurnData,
    call_facts,
    final_verdict,
    load_transcript,
    ordered_lines,
    review_line,
    save_transcript,
    score_call,
    score_of,
)
from soporte.calls.qa.transcript_files import (
    MAX_FILE_BYTES,
    People,
    parse_transcript_file,
    save_transcript_file,
)

__all__ = [
    "DEFAULT_GLOSSARY",
    "HUMAN_RULES",
    "MAX_FILE_BYTES",
    "REVIEW_VERDICTS",
    "RULE_NAMES",
    "RULE_ORDER",
    "Averages",
    "CallFacts",
    "GroupAverage",
    "People",
    "RuleRate",
    "Transcript",
    "Turn",
    "TurnData",
    "add_term",
    "at_ms",
    "averages",
    "call_facts",
    "contains",
    "delete_term",
    "ensure_default_glossary",
    "evaluate",
    "final_verdict",
    "fold",
    "load_transcript",
    "ordered_lines",
    "parse_transcript_file",
    "review_line",
    "rule_name",
    "save_transcript",
    "save_transcript_file",
    "score_call",
    "score_of",
    "update_term",
]
