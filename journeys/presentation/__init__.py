"""What the screens show, computed from the models for the views: view models and their words.

Services change state and never import from here; views build a screen's context from here.
"""
