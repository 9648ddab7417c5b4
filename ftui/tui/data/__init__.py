"""The Data tab: its widget, messages, dialogs and own widgets."""
