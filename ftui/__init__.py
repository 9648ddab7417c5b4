"""ftui: a terminal UI for fine-tuning chat models through the OpenAI fine-tuning API."""

__version__ = "0.1.0"
