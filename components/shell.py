"""The page frame shared by every view."""
import dash
from dash import html


def app_shell():
    return html.Div([dash.page_container])
