"""ddarts desktop application: PySide6 views over the Qt-free `ddarts` library.

All Qt code of the project lives in this package; `ddarts` itself never imports Qt. Importing it
changes nothing in the interpreter: `app.application.create_application` installs the Qt
workarounds the application needs, explicitly.
"""
