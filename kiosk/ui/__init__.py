"""The touchscreen (Kivy). Importing this package does not import Kivy: `kiosk.ui.app.run_app`
configures Kivy (environment, input, fullscreen) before the first Kivy import."""
