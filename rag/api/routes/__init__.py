"""One router per resource; routes only translate HTTP to pipeline calls and records to response models."""
