"""The Files tab: uploads, downloads, deletes; fine-tuned models and checkpoints."""
