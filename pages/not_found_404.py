"""The page for an address that does not exist (Dash Pages' not_found_404)."""
import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

dash.register_page(__name__, path="/404", title="Sidan finns inte – Nationell lägesbild")


def layout(**_):
    return html.Main([
        html.H1("Sidan finns inte", className="h3"),
        dbc.Alert(["Adressen leder inte till någon sida i lägesbilden. Gå till ",
                   dcc.Link("Jämför enheter", href="/"), " eller ", dcc.Link("Om statistiken", href="/om"), "."],
                  color="warning"),
    ])
