/**
 * The messages Tessera sends unless an operator overrides them (MAIL_TEMPLATES_DIR): subject,
 * plain text and HTML per kind, with {{variable}} placeholders checked against the catalogue.
 */
import type { MessageKind } from './catalogue.js';

export interface TemplateSource {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

const layout = (body: string) => `<!doctype html>
<html><body style="font-family: sans-serif; line-height: 1.5">
${body}
<p style="color: #666">{{app_name}}</p>
</body></html>
`;

export const BUILTIN_TEMPLATES: Record<MessageKind, TemplateSource> = {
  verify_email: {
    subject: 'Verify your email for {{app_name}}',
    text: 'Hello,\n\nPlease confirm that {{email}} is your address for {{app_name}} by opening this link:\n\n{{link}}\n\nIf you did not ask for this, you can ignore this message.\n',
    html: layout(
      '<p>Hello,</p><p>Please confirm that {{email}} is your address for {{app_name}}.</p><p><a href="{{link}}">Verify my email</a></p><p>If you did not ask for this, you can ignore this message.</p>',
    ),
  },
  reset_password: {
    subject: 'Reset your {{app_name}} password',
    text: 'Hello,\n\nSomeone asked to reset the password of {{email}} for {{app_name}}. To choose a new one, open this link:\n\n{{link}}\n\nIf it was not you, ignore this message: your password stays as it is.\n',
    html: layout(
      '<p>Hello,</p><p>Someone asked to reset the password of {{email}} for {{app_name}}.</p><p><a href="{{link}}">Choose a new password</a></p><p>If it was not you, ignore this message: your password stays as it is.</p>',
    ),
  },
  password_changed: {
    subject: 'Your {{app_name}} password was changed',
    text: 'Hello,\n\nThe password of {{email}} for {{app_name}} was just changed. If it was not you, reset your password now and contact us.\n',
    html: layout(
      '<p>Hello,</p><p>The password of {{email}} for {{app_name}} was just changed.</p><p>If it was not you, reset your password now and contact us.</p>',
    ),
  },
  signup_attempt_existing: {
    subject: 'Someone tried to sign up to {{app_name}} with your email',
    text: 'Hello,\n\nSomeone tried to create an account for {{app_name}} with {{email}}, which already has one. If it was you and you forgot your password, reset it here:\n\n{{link}}\n\nOtherwise you can ignore this message.\n',
    html: layout(
      '<p>Hello,</p><p>Someone tried to create an account for {{app_name}} with {{email}}, which already has one.</p><p>If it was you and you forgot your password, <a href="{{link}}">reset it here</a>.</p><p>Otherwise you can ignore this message.</p>',
    ),
  },
  welcome: {
    subject: 'Welcome to {{app_name}}',
    text: 'Hello,\n\nYour account {{email}} for {{app_name}} is ready.\n',
    html: layout('<p>Hello,</p><p>Your account {{email}} for {{app_name}} is ready.</p>'),
  },
};
