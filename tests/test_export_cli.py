"""`grader export`: variants like `grader paper`, --key exports the frozen ones, same bytes."""

from __future__ import annotations

import io
import zipfile

import pytest
from click.testing import CliRunner
from lxml import etree

from grader import keyfile
from grader.cli import cli
from grader.export import qti21

NS = {"q": qti21.QTI_NS}


def _run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("target", ["moodle", "qti21", "canvas", "gift"])
def test_same_inputs_give_byte_identical_files(tmp_path, target):
    first, second = tmp_path / "a.out", tmp_path / "b.out"
    output = _run("export", "inf5860-drills", "--to", target, "--variants", "2", "--seed", "7",
                  "-o", str(first))
    _run("export", "inf5860-drills", "--to", target, "--variants", "2", "--seed", "7",
         "-o", str(second))
    assert first.read_bytes() == second.read_bytes()
    assert f"({target}: 14 questions; variants " in output


def test_key_exports_exactly_the_frozen_variants(tmp_path):
    _run("paper", "inf5860-2019", "-o", str(tmp_path / "p"), "--variants", "2", "--seed", "3")
    key = tmp_path / "p" / "key.json"
    meta, frozen = keyfile.read_key(key)
    out = tmp_path / "q.zip"
    output = _run("export", "inf5860-2019", "--to", "qti21", "--key", str(key), "-o", str(out))
    assert f"variants {', '.join(meta.variant_ids)})" in output
    with zipfile.ZipFile(io.BytesIO(out.read_bytes())) as archive:
        items = [etree.fromstring(archive.read(n)) for n in archive.namelist()
                 if n.startswith("items/") and n.endswith(".xml")]
    titles = {i.get("title") for i in items}
    assert {t.rsplit(" ", 1)[1] for t in titles} == set(meta.variant_ids)
    for item in items:
        _, part_id, variant_id = item.get("title").split(" ")
        if part_id == "ex3c":
            value = item.find(".//q:correctResponse/q:value", NS).text
            assert value == frozen[variant_id].part("ex3c").answer
    # without --key, the same seed draws the same variants as the paper run
    again = _run("export", "inf5860-2019", "--to", "gift", "--variants", "2", "--seed", "3",
                 "-o", str(tmp_path / "g.txt"))
    assert f"variants {', '.join(meta.variant_ids)})" in again


def test_key_with_variants_is_refused(tmp_path):
    _run("paper", "inf5860-drills", "-o", str(tmp_path / "p"))
    result = CliRunner().invoke(cli, ["export", "inf5860-drills", "--to", "moodle", "--key",
                                      str(tmp_path / "p" / "key.json"), "--variants", "2",
                                      "-o", str(tmp_path / "m.xml")])
    assert result.exit_code != 0
    assert "--key exports the key's variants" in result.output
    assert not (tmp_path / "m.xml").exists()


def test_unknown_target_is_refused(tmp_path):
    result = CliRunner().invoke(cli, ["export", "inf5860-drills", "--to", "blackboard", "-o",
                                      str(tmp_path / "x")])
    assert result.exit_code == 2 and "blackboard" in result.output
