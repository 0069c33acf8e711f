"""The Textual app: screens, widgets and one stylesheet. It reads traces and state; it never simulates."""
