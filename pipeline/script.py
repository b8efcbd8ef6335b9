"""Unicode script classes the stages share, defined once."""

import re

# CJK Unified Ideographs with extension A, the compatibility block and the
# supplementary-plane extensions B onwards.
HAN_CLASS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
HAN = re.compile(f"[{HAN_CLASS}]")
