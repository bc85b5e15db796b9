"""A failed task's message is the module's own error; a no_log task says it hides it."""

from __future__ import annotations

from asp_provision.run.tracker import HIDDEN, _message

UNREADABLE = "Module result deserialization failed: No start of json char found"


def test_a_module_that_raises_shows_its_exception() -> None:
    res = {
        "msg": UNREADABLE,
        "module_stdout": "",
        "module_stderr": 'Traceback (most recent call last):\n  File "x.py", line 5, in main\n'
        "ValueError: ledger is locked by another writer\n",
        "rc": 1,
    }
    assert (
        _message(res) == "the module failed (rc 1): ValueError: ledger is locked by another writer"
    )


def test_a_module_that_prints_garbage_shows_what_it_printed() -> None:
    res = {"msg": UNREADABLE, "module_stdout": "hello, not json\r\n", "module_stderr": "", "rc": 0}
    assert _message(res) == "the module printed no result (rc 0), only: hello, not json"


def test_a_module_message_is_kept() -> None:
    assert _message({"msg": "Task failed: Module failed: no ledger"}) == (
        "Task failed: Module failed: no ledger"
    )


def test_a_no_log_failure_says_its_output_is_hidden_on_purpose() -> None:
    res = {"censored": "the output has been hidden due to the fact that 'no_log: true' was ..."}
    assert _message(res) == HIDDEN
    assert "hidden on purpose" in HIDDEN


def test_a_looped_task_names_the_items_that_failed() -> None:
    res = {
        "msg": "One or more items failed",
        "results": [
            {"changed": True, "_ansible_item_label": "nftables.nft"},
            {"failed": True, "msg": "'x' is undefined", "_ansible_item_label": "qos.conf"},
        ],
    }
    assert _message(res) == "qos.conf: 'x' is undefined"


def test_a_looped_no_log_item_hides_its_label_and_output() -> None:
    res = {
        "msg": "One or more items failed",
        "results": [{"failed": True, "censored": "hidden", "_ansible_item_label": "sso.json"}],
    }
    assert _message(res) == HIDDEN
