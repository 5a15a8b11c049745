"""The user repository: one SQL implementation, one thin subclass per database dialect."""
