import dash
from dash import html

dash.register_page(__name__, path="/", title="Nationell lägesbild")


def layout(**_):
    return html.Main([html.H1("Nationell lägesbild över väntetider till operation")])
