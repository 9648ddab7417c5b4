"""The sandbox server's route groups, each registering itself on the app over one shared context.

``files`` (files and uploads), ``jobs`` (jobs, events, checkpoints), ``models``, ``chat``;
``common`` holds the context, OpenAI's error body and the checks on what requests send.
"""
