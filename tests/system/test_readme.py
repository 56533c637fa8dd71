"""The README documents every setting, so its configuration table cannot drift from the code."""

from pathlib import Path

from rpai.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def environment_names() -> list[str]:
    names = []
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        names.append(alias if isinstance(alias, str) else f"RPAI_{name.upper()}")
    return names


def test_every_setting_is_in_the_configuration_table() -> None:
    table = README.read_text().split("## Configuration", 1)[1].split("\n## ", 1)[0]
    missing = [name for name in environment_names() if f"`{name}`" not in table]
    assert missing == []
