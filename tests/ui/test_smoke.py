def test_home_then_services(ui):
    assert ui.screen == "home"
    assert ui.has("Sentuh untuk mulai")
    ui.tap_text("Sentuh untuk mulai")
    ui.settle()
    assert ui.screen == "services"
    ui.wait_for(lambda: ui.has("Paspor Baru Dewasa"), what="the first service tile")
