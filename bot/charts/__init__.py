"""The Home tab's chart: bans and unbans per day, drawn by matplotlib in a short-lived child
process (`bot.charts.render`), so a worker never imports it; and the signed token that lets
Slack's image proxy fetch it. Knows nothing of Slack."""

from bot.charts.cache import ChartCache, DailyCounts, render_png
from bot.charts.token import ChartToken, chart_key

__all__ = ["ChartCache", "ChartToken", "DailyCounts", "chart_key", "render_png"]
