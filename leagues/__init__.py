"""League training: players, matchmaking, AlphaStar roles, PBT, ratings, payoff store, runner, reports.

Built on the ``arena`` engine (``arena`` never imports ``leagues``). Entry points: the
``arena league run|status|report`` command, :class:`leagues.runner.League`, and the
``league:DIR[:player]`` bot kind. Recipes live in ``leagues/recipes/``.
"""
