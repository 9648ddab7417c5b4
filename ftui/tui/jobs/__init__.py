"""The Jobs tab: its widget, messages, dialogs and own widgets."""
