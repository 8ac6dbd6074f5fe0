import pytest

from config.settings import SettingsError, load_settings

STRONG = "q8Zr-Lk2vW9_pT4mXc7NbY1hJ6sD3fGa0eRu5iOw"  # 40 characters, ~210 bits
PROXY_SECRET = "Hn3_kV8pQ2wZx7Lr5cB1mT9yJ4dF6gS0aE-uRo"


def test_defaults_are_safe_for_local_use():
    s = load_settings({})
    assert s.env == "development"
    assert str(s.data_dir) == "var"
    assert s.auth_mode == "dev"
    assert s.suppress_below == 5
    assert s.stale_days == 42
    assert s.effective_database_url.startswith("sqlite:///")


def test_dev_login_refused_in_production():
    with pytest.raises(SettingsError, match="AUTH_MODE=dev"):
        load_settings({"LAGESBILD_ENV": "production", "LAGESBILD_SECRET_KEY": STRONG})


def test_production_requires_secret_key():
    env = {"LAGESBILD_ENV": "production", "LAGESBILD_AUTH_MODE": "proxy",
           "LAGESBILD_SITHS_CA_FILE": "/ca.pem", "LAGESBILD_TRUSTED_PROXIES": "10.0.0.1",
           "LAGESBILD_PROXY_SECRET": PROXY_SECRET}
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        load_settings(env)
    assert load_settings({**env, "LAGESBILD_SECRET_KEY": STRONG}).production


def test_production_proxy_requires_ca_and_proxies():
    base = {"LAGESBILD_ENV": "production", "LAGESBILD_AUTH_MODE": "proxy", "LAGESBILD_SECRET_KEY": STRONG}
    with pytest.raises(SettingsError, match="SITHS_CA_FILE"):
        load_settings({**base, "LAGESBILD_TRUSTED_PROXIES": "10.0.0.1"})
    with pytest.raises(SettingsError, match="TRUSTED_PROXIES"):
        load_settings({**base, "LAGESBILD_SITHS_CA_FILE": "/ca.pem"})


@pytest.mark.parametrize("name,value", [("SUPPRESS_BELOW", "fem"), ("ENV", "staging"), ("AUTH_MODE", "saml")])
def test_bad_values_are_named(name, value):
    with pytest.raises(SettingsError, match=name):
        load_settings({f"LAGESBILD_{name}": value})


def test_lists_and_paths_are_parsed():
    s = load_settings({"LAGESBILD_TRUSTED_PROXIES": " 10.0.0.1, 10.0.0.0/24 ,", "LAGESBILD_DATA_DIR": "/srv/x"})
    assert s.trusted_proxies == ("10.0.0.1", "10.0.0.0/24")
    assert str(s.warehouse_dir) == "/srv/x/warehouse"


PRODUCTION = {"LAGESBILD_ENV": "production", "LAGESBILD_AUTH_MODE": "proxy", "LAGESBILD_SECRET_KEY": STRONG,
              "LAGESBILD_SITHS_CA_FILE": "/ca.pem", "LAGESBILD_TRUSTED_PROXIES": "127.0.0.1",
              "LAGESBILD_PROXY_SECRET": PROXY_SECRET}


@pytest.mark.parametrize("name,value,words", [
    ("TRUSTED_PROXIES", "0.0.0.0/0", "betrodde alla adresser"),
    ("TRUSTED_PROXIES", "::/0", "betrodde alla adresser"),
    ("TRUSTED_PROXIES", "127.0.0.1,10.0.0.0/8", "för stort nät"),
    ("TRUSTED_PROXIES", "1.1.1.0/24", "publik adress"),
    ("TRUSTED_PROXIES", "8.8.8.8", "publik adress"),
    ("SUPPRESS_BELOW", "1", "små tal under 5"),
    ("SUPPRESS_BELOW", "4", "små tal under 5"),
    ("SESSION_IDLE_MINUTES", "525600", "högst 720 minuter"),
    ("SESSION_IDLE_MINUTES", "721", "högst 720 minuter"),
    ("SECRET_KEY", "a" * 32, "för lätt att gissa"),
    ("SECRET_KEY", "abababababababababababababababab", "för lätt att gissa"),
    ("SECRET_KEY", "0123456701234567012345670123456701234567", "för lätt att gissa"),
    ("PROXY_SECRET", "", "PROXY_SECRET krävs"),
    ("PROXY_SECRET", "b" * 40, "PROXY_SECRET krävs"),
])
def test_production_refuses_weak_settings_naming_the_setting(name, value, words):
    """Issue 9: production started without a word with a wildcard proxy, suppression
    below 5, an idle time of a year or a secret key of 32 x 'a'."""
    with pytest.raises(SettingsError) as err:
        load_settings({**PRODUCTION, f"LAGESBILD_{name}": value})
    assert f"LAGESBILD_{name}" in str(err.value) and words in str(err.value)


def test_production_accepts_sound_settings():
    s = load_settings({**PRODUCTION, "LAGESBILD_TRUSTED_PROXIES": "127.0.0.1,10.1.2.0/24,::1",
                       "LAGESBILD_SESSION_IDLE_MINUTES": "720", "LAGESBILD_SUPPRESS_BELOW": "10"})
    assert s.production and s.proxy_secret == PROXY_SECRET
    import secrets

    assert load_settings({**PRODUCTION, "LAGESBILD_SECRET_KEY": secrets.token_hex(32)}).production
    assert load_settings({**PRODUCTION, "LAGESBILD_SECRET_KEY": secrets.token_urlsafe(32)}).production


@pytest.mark.parametrize("name", ["SCRIPT_NAME", "LAGESBILD_URL_PREFIX"])
def test_a_sub_path_deployment_is_refused_at_start(name):
    with pytest.raises(SettingsError) as err:
        load_settings({name: "/lagesbild"})
    assert name in str(err.value) and "undersökväg" in str(err.value)
    assert load_settings({name: "/"}).env == "development"
