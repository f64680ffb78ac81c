"""gatescan: find the AI agents anyone could drive, and the skills that should not be there."""

__version__ = "0.1.0"
