"""The Gradio app: one build_*_tab() per tab; handlers are plain functions over the store."""
