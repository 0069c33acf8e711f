"""The main screen's widgets; each receives a whole immutable `ViewState` and posts messages up."""
