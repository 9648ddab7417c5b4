"""ftui's widgets."""
