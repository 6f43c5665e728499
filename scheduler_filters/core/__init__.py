"""Nova-free scheduling logic on plain data (HostFacts, RequestFacts, plans).

Both the Nova adapters (``scheduler_filters.nova``) and the Heat plugin call
this code; nothing under ``core`` may import Nova or Heat.
"""
