from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from exam.accounts.administration import EMAIL_MAX, FULL_NAME_MAX, STAFF_ROLES, UNKNOWN_ROLE
from exam.core.forms import REQUIRED, MultiCheckboxField, PageForm

PASSWORD_HINT = _l(
    "Ít nhất 10 ký tự, không phải mật khẩu phổ biến, không chứa email hay họ tên. "
    "Nên dùng một cụm vài từ dễ nhớ."
)
# What each field is, for the browser's autofill and password managers (WCAG 1.3.5).
NEW_PASSWORD = {"autocomplete": "new-password"}
CURRENT_PASSWORD = {"autocomplete": "current-password"}
EMAIL = {"autocomplete": "email"}


def _new_password(label: str) -> PasswordField:
    """A password being chosen (checked by exam/accounts/passwords.py when it is set)."""
    return PasswordField(
        label,
        validators=[DataRequired(REQUIRED)],
        description=PASSWORD_HINT,
        render_kw=NEW_PASSWORD,
    )


def _repeated_password(label: str) -> PasswordField:
    return PasswordField(
        label,
        validators=[DataRequired(REQUIRED), EqualTo("password", _l("Hai mật khẩu không khớp."))],
        render_kw=NEW_PASSWORD,
    )


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class LoginForm(PageForm):
    email = EmailField(
        _l("Email"), validators=[DataRequired(REQUIRED)], render_kw={"autocomplete": "username"}
    )
    password = PasswordField(
        _l("Mật khẩu"), validators=[DataRequired(REQUIRED)], render_kw=CURRENT_PASSWORD
    )


class RegistrationForm(PageForm):
    full_name = StringField(
        _l("Họ và tên"),
        validators=[DataRequired(REQUIRED), Length(max=120)],
        description=_l("Viết đầy đủ, có dấu, như trên căn cước công dân."),
        render_kw={"autocomplete": "name"},
    )
    email = EmailField(
        _l("Email"),
        validators=[
            DataRequired(REQUIRED),
            Email(_l("Địa chỉ email không hợp lệ.")),
            Length(max=254),
        ],
        filters=[_strip],  # a pasted address often carries a space: not a reason to refuse it
        render_kw=EMAIL,
    )
    password = _new_password(_l("Mật khẩu"))
    confirm = _repeated_password(_l("Nhập lại mật khẩu"))


class ChangePasswordForm(PageForm):
    current_password = PasswordField(
        _l("Mật khẩu hiện tại"), validators=[DataRequired(REQUIRED)], render_kw=CURRENT_PASSWORD
    )
    password = _new_password(_l("Mật khẩu mới"))
    confirm = _repeated_password(_l("Nhập lại mật khẩu mới"))


# --- invitations and "forgot password" (exam/accounts/invitations.py) ----------------------


class SetPasswordForm(PageForm):
    password = _new_password(_l("Mật khẩu mới"))
    # No EqualTo here: use_token compares the two itself, with the link's other checks.
    confirm = PasswordField(
        _l("Nhập lại mật khẩu mới"), validators=[DataRequired(REQUIRED)], render_kw=NEW_PASSWORD
    )


class ForgotPasswordForm(PageForm):
    email = EmailField(
        _l("Email"),
        validators=[
            DataRequired(REQUIRED),
            Email(_l("Địa chỉ email không hợp lệ.")),
            Length(max=254),
        ],
        filters=[_strip],
        render_kw=EMAIL,
    )


# --- account administration (exam/accounts/administration.py) ------------------------------


class RolesField(MultiCheckboxField):
    """The staff roles as checkboxes; a value that is not one of them (a forged POST) is
    refused in Vietnamese, not with WTForms' English."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.type = "MultiCheckboxField"  # drawn as its checkbox list (_macros/forms.html)

    def pre_validate(self, form: Any) -> None:
        offered = {value for value, _label in self.choices}
        if any(value not in offered for value in self.data or ()):
            raise ValidationError(UNKNOWN_ROLE)


AT_MOST = _l("Tối đa %(max)d ký tự.")


def _role_choices() -> list[tuple[str, str]]:
    return [(role.value, role.title) for role in STAFF_ROLES]


class StaffAccountForm(PageForm):
    full_name = StringField(
        _l("Họ và tên"),
        validators=[DataRequired(REQUIRED), Length(max=FULL_NAME_MAX, message=AT_MOST)],
        description=_l("Viết đầy đủ, có dấu."),
    )
    email = EmailField(
        _l("Email"),
        validators=[
            DataRequired(REQUIRED),
            Email(_l("Địa chỉ email không hợp lệ.")),
            Length(max=EMAIL_MAX, message=AT_MOST),
        ],
        filters=[_strip],
        description=_l("Thư mời đặt mật khẩu được gửi đến địa chỉ này."),
    )
    roles = RolesField(_l("Vai trò"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.roles.choices = _role_choices()


class RolesForm(PageForm):
    roles = RolesField(_l("Vai trò"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.roles.choices = _role_choices()
