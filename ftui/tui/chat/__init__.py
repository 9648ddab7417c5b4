"""The Chat tab: its widget, messages, dialogs and own widgets."""
