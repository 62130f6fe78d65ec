"""What users see, as data: message texts, button layouts, the progress chart."""
