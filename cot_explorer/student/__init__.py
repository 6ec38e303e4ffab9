"""The text-only student: encoder + CRF for MNER, entity markers for MRE, trained with
conditional prompt distillation from the teacher's chain of thought."""
