"""Where a long maintenance command stands, so that a run cut short goes on from there."""

from beanie import Document


class Checkpoint(Document):
    id: str  # type: ignore[assignment]  # the command's name
    value: str

    class Settings:
        name = "maintenance_checkpoints"
