import pytest

from config.settings import SettingsError, load_settings

STRONG = "x" * 40


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
           "LAGESBILD_SITHS_CA_FILE": "/ca.pem", "LAGESBILD_TRUSTED_PROXIES": "10.0.0.1"}
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
