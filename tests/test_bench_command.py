from __future__ import annotations

import pytest
from django.core.management.base import CommandError

from journeys.management.commands.bench import END, START, _write_into_readme


def test_the_report_replaces_only_the_marked_block_of_the_readme(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\n\n## Performance\n\nkept\n\n{START}\nold\n{END}\n\n## Next\n")
    _write_into_readme(
        readme, "# Benchmark report\n\nMachine: x.\n\n## bench_domain\n\n```\nt\n```\n"
    )
    text = readme.read_text()
    assert "old" not in text and "kept" in text and "## Next" in text
    assert "### Latest full run" in text and "#### bench_domain" in text
    _write_into_readme(readme, "# Benchmark report\n\nagain\n")
    assert readme.read_text().count(START) == 1 and "Machine: x." not in readme.read_text()


def test_a_readme_without_the_markers_is_refused(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# Title\n")
    with pytest.raises(CommandError, match="bench-report"):
        _write_into_readme(readme, "# Benchmark report\n")
