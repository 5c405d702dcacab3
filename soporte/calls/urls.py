"""Pages of calls: the console and wallboard (console_urls) and QA (qa_urls)."""

from soporte.calls.console_urls import urlpatterns as console_patterns
from soporte.calls.qa_urls import urlpatterns as qa_patterns

app_name = "calls"

urlpatterns = console_patterns + qa_patterns
