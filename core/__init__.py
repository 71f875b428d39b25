"""The neutral bottom layer both paths import (and that imports neither): records, text and number helpers,
and the small protocols the read path is written against."""
