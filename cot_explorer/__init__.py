"""CoT Explorer: explain, correct and distill multimodal NER and relation extraction."""

__version__ = "0.1.0"
