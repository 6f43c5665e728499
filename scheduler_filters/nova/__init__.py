"""Nova adapters: thin BaseHostFilter / BaseHostWeigher classes over ``core``.

Importing this package imports Nova; only Nova's scheduler (and the Nova
side of the tests) should do that. Options are registered on Nova's CONF.
"""

import nova.conf

from scheduler_filters import conf

CONF = nova.conf.CONF
conf.register_opts(CONF)
