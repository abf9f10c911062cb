"""The quality bench and the fitting script explain a missing model in one line, as the bot does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("script", ["bench/quality.py", "scripts/fit_matching.py"])
def test_a_config_naming_no_model_gets_a_plain_message_and_exit_code_2(tmp_path: Path, script: str) -> None:
    data = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    data["knowledge_dir"] = str(ROOT / "knowledge")
    data["matching"]["model"] = str(tmp_path / "no-model-here")
    data["matching"]["embedding_cache"] = str(tmp_path / "cache")
    data["database"] = str(tmp_path / "bot.sqlite3")
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(data), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, script, "--config", str(config)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "no-model-here/model.onnx is missing" in done.stderr
