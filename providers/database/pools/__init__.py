"""Connection pools behind `DatabaseService`, one module per database driver."""
