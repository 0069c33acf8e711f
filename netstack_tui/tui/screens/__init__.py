"""The app's screens: the main explorer, the scenario picker, help, goal and hints, journey summary."""
