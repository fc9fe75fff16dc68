"""The Gradio demo: one ``tab_<task>.py`` per task, each with ``build(store)``; the
callbacks only convert inputs, call the task and bridge its callback to ``gr.Progress``.
``app.py`` at the repository root assembles the tabs."""
