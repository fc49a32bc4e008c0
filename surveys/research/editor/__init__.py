"""The questionnaire editor: instruments, their versions, items, translations, diffs, YAML in and out."""
